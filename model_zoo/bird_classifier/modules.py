"""A small ConvNeXt (Liu et al., 2022) in plain torch: the model code of the bird classifier.

The layout follows the reference implementation (facebookresearch/ConvNeXt): a patchify stem,
stages of blocks (depthwise 7x7 conv, LayerNorm over channels-last, pointwise Linear, GELU,
Linear, layer scale, residual), a LayerNorm + 2x2 strided conv between stages, global average
pooling, LayerNorm and a linear head. Only much narrower and shallower, so that its
checkpoint is a few hundred KB.
"""

from __future__ import annotations

import torch
from torch import nn

DEPTHS = (1, 1, 2)
DIMS = (16, 32, 64)


class LayerNorm2d(nn.LayerNorm):
    """LayerNorm over the channels of an NCHW tensor."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


class Block(nn.Module):
    def __init__(self, dim: int, layer_scale: float = 1e-6) -> None:
        super().__init__()
        self.dwconv = nn.Conv2d(dim, dim, kernel_size=7, padding=3, groups=dim)
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.pwconv1 = nn.Linear(dim, 4 * dim)
        self.act = nn.GELU()
        self.pwconv2 = nn.Linear(4 * dim, dim)
        self.gamma = nn.Parameter(torch.full((dim,), layer_scale))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = x
        x = self.dwconv(x).permute(0, 2, 3, 1)  # NCHW -> NHWC
        x = self.pwconv2(self.act(self.pwconv1(self.norm(x))))
        return shortcut + (self.gamma * x).permute(0, 3, 1, 2)


class ConvNext(nn.Module):
    def __init__(
        self,
        num_classes: int = 1000,
        pretrained: bool = False,
        depths: tuple[int, ...] = DEPTHS,
        dims: tuple[int, ...] = DIMS,
    ) -> None:
        super().__init__()
        if pretrained:
            raise ValueError(
                "no pretrained weights are published for this model: "
                "build it with pretrained=False and load a checkpoint"
            )
        stem = nn.Sequential(
            nn.Conv2d(3, dims[0], kernel_size=4, stride=4), LayerNorm2d(dims[0], eps=1e-6)
        )
        self.downsample_layers = nn.ModuleList([stem])
        for i in range(len(dims) - 1):
            self.downsample_layers.append(
                nn.Sequential(
                    LayerNorm2d(dims[i], eps=1e-6),
                    nn.Conv2d(dims[i], dims[i + 1], kernel_size=2, stride=2),
                )
            )
        self.stages = nn.ModuleList(
            nn.Sequential(*[Block(dim) for _ in range(depth)])
            for dim, depth in zip(dims, depths, strict=True)
        )
        self.norm = nn.LayerNorm(dims[-1], eps=1e-6)
        self.head = nn.Linear(dims[-1], num_classes)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        for downsample, stage in zip(self.downsample_layers, self.stages, strict=True):
            x = stage(downsample(x))
        return self.norm(x.mean([-2, -1]))  # global average pooling, (N, C, H, W) -> (N, C)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.forward_features(x))

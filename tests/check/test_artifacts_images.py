"""The image comparator: PNGs by decoded pixels within an RMS tolerance, a failure that says
where they differ, and its diff image kept with the failure."""

from __future__ import annotations

import io
import shutil
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from pytest_nuitka.cache import evidence
from pytest_nuitka.check import artifacts, compare, diagnose
from pytest_nuitka.check.difference import Difference

pytest.importorskip("matplotlib.testing.compare")
Image = pytest.importorskip("PIL.Image")


def png(pixels: np.ndarray[Any, Any], **info: str) -> bytes:
    out = io.BytesIO()
    image = Image.fromarray(pixels)
    if info:
        from PIL.PngImagePlugin import PngInfo

        meta = PngInfo()
        for key, value in info.items():
            meta.add_text(key, value)
        image.save(out, format="png", pnginfo=meta)
    else:
        image.save(out, format="png")
    return out.getvalue()


def picture(height: int = 40, width: int = 60) -> np.ndarray[Any, Any]:
    y, x = np.mgrid[0:height, 0:width]
    return np.stack([x * 4, y * 6, (x + y) * 2], -1).clip(0, 255).astype(np.uint8)


def changed(pixels: np.ndarray[Any, Any], box: tuple[int, int, int, int], by: int) -> bytes:
    """``by`` added to the green channel of the pixels in x0..x1, y0..y1 (inclusive)."""
    x0, y0, x1, y1 = box
    edited = pixels.copy()
    region = edited[y0 : y1 + 1, x0 : x1 + 1, 1].astype(np.int16) + by
    assert region.max() <= 255
    edited[y0 : y1 + 1, x0 : x1 + 1, 1] = region
    return png(edited)


def test_png_is_found_by_its_magic_and_image_is_a_builtin() -> None:
    raw = png(picture())
    assert artifacts.detect("figure.png", raw) is artifacts.compare_image
    assert artifacts.detect("figure", raw) is artifacts.compare_image  # content, not name
    assert artifacts.resolve("image") is artifacts.compare_image
    assert compare.comparator_for("plot.png", raw, None) is artifacts.compare_image


def test_identical_images_pass_and_so_do_other_bytes_of_the_same_pixels() -> None:
    pixels = picture()
    assert artifacts.compare_image("a.png", png(pixels), png(pixels), 0, 0) is None
    tagged = png(pixels, Software="matplotlib version 3.11.2")
    assert tagged != png(pixels)
    assert artifacts.compare_image("a.png", png(pixels), tagged, 0, 0) is None


def test_a_few_changed_pixels_within_the_tolerance_pass() -> None:
    pixels = picture()
    edited = changed(pixels, (10, 5, 11, 6), 3)  # 4 pixels, green +3
    rms = np.sqrt(4 * 9 / pixels.size)
    assert artifacts.compare_image("a.png", png(pixels), edited, 0, rms + 1e-9) is None
    assert artifacts.compare_image("a.png", png(pixels), edited, 0, 0) is not None


def test_beyond_the_tolerance_the_failure_says_where_and_carries_a_diff_image() -> None:
    pixels = picture()
    edited = changed(pixels, (12, 7, 20, 9), 50)  # 9x3 pixels
    found = artifacts.compare_image("figs/plot.png", png(pixels), edited, 0, 1.0)
    assert found is not None
    detail = found.detail
    assert "pixels differ  27 of 2400 (1.12%)" in detail
    assert "x 12..20, y 7..9 (9x3 pixels)" in detail
    assert "size           60x40, compared as RGB (script RGB, binary RGB)" in detail
    rms = np.sqrt(27 * 50**2 / pixels.size)
    assert f"RMS            {rms:.4g} over 0-255 (tolerance: atol=1)" in detail
    assert "largest        50 in G at x 12, y 7" in detail
    assert list(found.files) == ["figs__plot.png-diff.png"]
    diff = np.asarray(Image.open(io.BytesIO(found.files["figs__plot.png-diff.png"])))
    assert diff.shape == (40, 60, 3)
    assert (diff[7:10, 12:21, 1] == 255).all()  # 50 x 10, clipped
    assert diff.sum() == 27 * 255


def test_transparency_is_compared_in_rgba() -> None:
    pixels = np.dstack([picture(), np.full((40, 60), 255, np.uint8)])
    clear = pixels.copy()
    clear[0, 0, 3] = 0
    found = artifacts.compare_image("a.png", png(pixels), png(clear), 0, 0)
    assert found is not None
    assert "compared as RGBA" in found.detail
    assert "largest        255 in A at x 0, y 0" in found.detail


def test_different_sizes_fail_clearly() -> None:
    found = artifacts.compare_image("a.png", png(picture(40, 60)), png(picture(40, 61)), 0, 99)
    assert found is not None
    assert "the images differ in size" in found.detail
    assert "script  60x40" in found.detail
    assert "binary  61x40" in found.detail
    assert not found.files


def test_not_an_image_is_compared_byte_for_byte() -> None:
    raw = png(picture())
    broken = raw[:40]
    found = artifacts.compare_image("a.png", raw, broken, 0, 0)
    assert found is not None
    assert "the binary's is not an image Pillow reads" in found.detail
    assert "bytes in the script's" in found.detail


def test_without_matplotlib_it_is_byte_for_byte_and_says_so(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib.testing.compare", None)  # import fails
    pixels = picture()
    assert artifacts.compare_image("a.png", png(pixels), png(pixels), 0, 0) is None
    found = artifacts.compare_image("a.png", png(pixels), changed(pixels, (0, 0, 0, 0), 1), 0, 5)
    assert found is not None
    assert "install matplotlib to compare by pixels" in found.detail


def test_through_compare_outputs_with_a_per_name_tolerance() -> None:
    pixels = picture()
    left = {"plot.png": png(pixels)}
    right = {"plot.png": changed(pixels, (0, 0, 1, 1), 2)}
    assert compare.compare_outputs(left, right, atol={"plot.png": 0.5}) == []
    [found] = compare.compare_outputs(left, right)
    assert found.title == "plot.png" and found.files


def test_a_failure_writes_the_diff_image_and_keeps_it_as_evidence(tmp_path: Path) -> None:
    pixels = picture()
    found = artifacts.compare_image("plot.png", png(pixels), changed(pixels, (1, 1, 2, 2), 9), 0, 0)
    assert found is not None
    plain = Difference("stdout", "  differs")
    with pytest.raises(diagnose.DiagnosedFailure) as failure:
        diagnose.fail("binary differs", [plain, found], [])
    [folder] = failure.value.folders
    written = folder / "plot.png-diff.png"
    assert written.read_bytes() == found.files["plot.png-diff.png"]
    assert f"  kept: {written}" in failure.value.msg
    assert "diff image     plot.png-diff.png" in failure.value.msg

    try:
        kept, message = evidence.keep(
            tmp_path / "evidence", "t::x", failure.value.folders, failure.value.msg
        )
    finally:
        shutil.rmtree(folder)  # runs=[]: it was made in the system's temporary folder
    assert (kept / folder.name / "plot.png-diff.png").read_bytes() == found.files[
        "plot.png-diff.png"
    ]
    assert f"  kept: {kept / folder.name / 'plot.png-diff.png'}" in message


def test_two_differences_with_one_file_name_both_kept(tmp_path: Path) -> None:
    first = Difference("a", "  x", {"d.png": b"1"})
    second = Difference("b", "  y", {"d.png": b"2"})
    shown, [folder] = diagnose.write_files([first, second, Difference("c", "  z")], tmp_path)
    assert folder.parent == tmp_path and folder.name.startswith("differences-")
    assert sorted(p.read_bytes() for p in folder.iterdir()) == [b"1", b"2"]
    assert [d.detail.count("kept: ") for d in shown] == [1, 1, 0]
    assert diagnose.write_files([Difference("c", "  z")], tmp_path) == (
        [Difference("c", "  z")],
        [],
    )


def test_the_failure_tables_whole() -> None:
    pixels = picture()
    found = artifacts.compare_image(
        "figs/plot.png", png(pixels), changed(pixels, (12, 7, 20, 9), 50), 0, 1.0
    )
    assert found is not None and found.title == "figs/plot.png"
    assert found.detail == "\n".join(
        [
            "  image          script vs binary",
            "  size           60x40, compared as RGB (script RGB, binary RGB)",
            "  RMS            3.062 over 0-255 (tolerance: atol=1)",
            "  pixels differ  27 of 2400 (1.12%)",
            "  region         x 12..20, y 7..9 (9x3 pixels)",
            "  largest        50 in G at x 12, y 7: script 42, binary 92",
            "  diff image     figs__plot.png-diff.png (|script - binary| x 10)",
        ]
    )
    sized = artifacts.compare_image("a.png", png(picture(40, 60)), png(picture(40, 61)), 0, 99)
    assert sized is not None and sized.title == "a.png"
    assert sized.detail == "\n".join(
        [
            "  the images differ in size:",
            "  side    width x height  mode",
            "  script  60x40           RGB",
            "  binary  61x40           RGB",
        ]
    )
    one_sided = artifacts.compare_image("a.png", png(pixels), None, 0, 0)
    assert one_sided is not None
    assert one_sided.detail == "  not both files: bytes, NoneType"


def test_the_edges_of_the_tolerance_the_diff_of_transparent_images_and_unreadable_ones() -> None:
    pixels = picture()
    edited = changed(pixels, (12, 7, 20, 9), 50)
    rms = float(np.sqrt(27 * 50**2 / pixels.size))
    assert artifacts.compare_image("a.png", png(pixels), edited, 0, rms) is None
    assert artifacts.compare_image("a.png", png(pixels), edited, 0, rms * 0.999) is not None
    rgba = np.dstack([pixels, np.full((40, 60), 255, np.uint8)])
    clear = rgba.copy()
    clear[0, 0, 3] = 250
    found = artifacts.compare_image("a.png", png(rgba), png(clear), 0, 0)
    assert found is not None
    diff = np.asarray(Image.open(io.BytesIO(found.files["a.png-diff.png"])))
    assert diff.shape == (40, 60, 4) and (diff[..., 3] == 255).all()
    assert diff[0, 0, 3] == 255 and diff[..., :3].sum() == 0
    broken = artifacts.compare_image("b.png", b"\x89PNG\r\n\x1a\nbroken", png(pixels), 0, 0)
    assert broken is not None and broken.title == "b.png"
    assert broken.detail.startswith("  the script's is not an image Pillow reads (")
    broken = artifacts.compare_image("b.png", png(pixels), b"\x89PNG\r\n\x1a\nbroken", 0, 0)
    assert broken is not None and broken.detail.startswith("  the binary's is not an image")

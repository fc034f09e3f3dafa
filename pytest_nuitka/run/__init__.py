"""Run: the script or the binary once, supervised, in a fresh folder (or the clean room)."""

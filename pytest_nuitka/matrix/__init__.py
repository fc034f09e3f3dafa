"""The version matrix: the cell check and the merged report of every cell's results."""

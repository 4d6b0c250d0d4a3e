"""The small core both fl/ and fedlend/ build on: error roots, units, progress (imports nothing)."""

"""branchsim's result files in Python (docs/python.md).

    import branchsim
    branchsim.tidy("out.h5")         # pandas: one row per (point, metric) of /summary
    branchsim.open("out.h5")         # {group: xarray.Dataset} with coordinates
    branchsim.compare("a.h5", "b.h5")  # pandas: B - A per point and metric, 95 % CI

branchsim.results is the checked reader they share (Results; a foreign or
damaged file raises BadFile, a ValueError) and the one 95 % interval
function (ci95). pandas and xarray are imported when first used.
"""
from .results import BadFile, ci95  # first: it keeps libhdf5 from loading plugins a file names
from .tables import open, tidy  # noqa: A004
from .differences import compare

__all__ = ["open", "tidy", "compare", "BadFile", "ci95"]

"""branchsim's result files in Python: branchsim.results is the checked
reader (Results, BadFile) and the one 95 % interval function (ci95)."""

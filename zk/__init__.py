"""Zero-knowledge round scores: an EZKL circuit proving a linear model's ROC-AUC on committed data.

Pure: imports only fedlend_core, numpy, onnx and ezkl (tests/test_layers.py enforces it).
"""

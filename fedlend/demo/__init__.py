"""`fedlend demo`: the whole loop on a local chain (run), the ghost-lender scenario, the report."""

from fedlend.demo.report import summary
from fedlend.demo.run import DemoConfig, DemoResult, run_demo

__all__ = ["DemoConfig", "DemoResult", "run_demo", "summary"]

"""`fedlend demo`: the loop on a local chain (cast, rounds, finish), the ghost lender, a report."""

from fedlend.demo.report import summary
from fedlend.demo.run import DemoConfig, DemoResult, run_demo

__all__ = ["DemoConfig", "DemoResult", "run_demo", "summary"]

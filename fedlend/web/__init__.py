"""What both Flask apps share: make_app, SQLite, background jobs, filters, charts, layout."""

from fedlend.web.app import Badge, NavItem, get_db, get_settings, make_app
from fedlend.web.charts import line_chart_data
from fedlend.web.jobs import Job, JobRunner, JobState
from fedlend.web.jobs_views import get_jobs, job_of_kind

__all__ = [
    "Badge",
    "Job",
    "JobRunner",
    "JobState",
    "NavItem",
    "get_db",
    "get_jobs",
    "get_settings",
    "job_of_kind",
    "line_chart_data",
    "make_app",
]

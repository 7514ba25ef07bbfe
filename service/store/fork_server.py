"""Preloaded by the query workers' fork server only (execution.py): importing it is the fork server's
first act, which ties its life to the server's (lifeline.py). Nothing else imports this module."""
from service.store import lifeline

lifeline.in_fork_server()

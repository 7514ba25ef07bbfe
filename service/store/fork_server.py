"""Preloaded by the query workers' fork server only (execution.py): importing it is the fork server's
first act, which ties its life to the server's (lifeline.py); its second is to copy the store's current
generation into memory for the workers it forks. Nothing else imports this module."""
from service.store import lifeline

lifeline.in_fork_server()

from service.store import execution  # noqa: E402 -- only once the fork server dies with the server

execution.preload()

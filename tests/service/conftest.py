"""Fixtures of the service tests (defined in service_helpers.py, which the tests also import)."""

from service_helpers import act, cast, isolation, keys, rpc_url, running, w3  # noqa: F401

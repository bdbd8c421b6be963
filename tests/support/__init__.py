"""Helpers the tests share: builders, clients, servers. No test module imports another."""

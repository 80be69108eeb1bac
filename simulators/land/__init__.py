"""Simulator of the province's land registration system (VBDLIS-like): a table in its own PostgreSQL database."""

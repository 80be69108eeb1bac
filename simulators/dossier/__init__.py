"""Simulator of the province's dossier system (one-stop shop and public-service portal)."""

"""Simulator of the province's civil status system (hộ tịch: births, marriages, deaths), a paged JSON API."""

"""Simulator of the province's document system (quản lý văn bản và điều hành; national document axis)."""

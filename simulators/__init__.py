"""Stand-ins for the province's source systems: seeded, deterministic, served the way the real ones are."""

"""Routes, one module per kind of user: auth (everyone), office, city, whatif (office)."""

"""Favourites: diners' lists of saved restaurants, dishes and shared meals (issue 15)."""

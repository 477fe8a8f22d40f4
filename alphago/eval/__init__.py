"""Ratings on one scale: the ladder's store of rated games, its Bradley-Terry fit and its scheduler."""

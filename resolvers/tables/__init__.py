"""Tables (issue 16): bookings, the restaurant inbox, the meal's life, waitlist offers, polls."""

"""Deals: deals and claims (and their payment), attribution, vouchers, insights.

Nothing is re-exported here: callers import the module of this package they use."""

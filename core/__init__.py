"""Shared plumbing: context, errors, loaders, pagination, tokens, passwords, rate limits,
Redis, pub/sub, metrics, logs, health, replica routing, services, payments, nearby.

It knows no domain: nothing here imports resolvers/, schema/ or demo/."""

"""Demo-city seeding (`app.py seed-demo`): fills a database for trying the app.

Not behaviour: resolvers/ never imports it."""

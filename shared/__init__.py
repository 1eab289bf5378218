"""The services' shared defaults: settings, logging, errors, health, metrics, DB session, auth."""

"""Triggers: webhook endpoints and events, trigger deliveries (batches, deferrals) for sensors."""

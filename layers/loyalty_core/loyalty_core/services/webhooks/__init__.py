"""Change notifications (SPEC 13): subscriptions, events from the audit trail, fan-out,
signed delivery with retries, replays. `context.Webhooks` is what they all run with."""

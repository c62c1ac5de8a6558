-- The W3C traceparent of the request that caused a message: its deliveries continue that trace.
ALTER TABLE webhook_messages ADD COLUMN traceparent TEXT;

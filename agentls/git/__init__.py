"""The only place that runs git. Everything else asks these modules."""

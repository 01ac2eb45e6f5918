"""The test adapter of snakepit-arrow's integration tests."""

"""Downtown's ordering service: baskets, checkout, orders and the order saga."""

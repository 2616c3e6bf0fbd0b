"""Downtown's vouchers service: "support now, spend later", for one shop or the whole town."""

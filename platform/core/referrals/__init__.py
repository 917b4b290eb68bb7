"""Referrals (つなぎ) with a closed loop and the receiving agency's inbox."""

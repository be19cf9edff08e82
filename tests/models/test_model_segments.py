"""Discount segments: an order at a tier's threshold is always priced at that tier."""

from models.ordering import TIER_GAP, price_segments
from optimizer.contract.data import Offer


def offer(discounts):
    return Offer("S1", "ga", unit_price=10, lead_time=0, min_order=0, max_per_period=None, order_cost=0,
                 first_period=1, last_period=3, discounts=tuple(discounts))


def test_segments_stop_short_of_the_next_tier():
    """Tiers 40 t: 10%, 80 t: 5% (never the largest), 120 t: 30%; upper bound 200 t."""
    segments = price_segments(offer([(40, 0.10), (80, 0.05), (120, 0.30)]), 200)
    assert [(s.lower, s.discount) for s in segments] == [(0, 0), (40, 0.10), (120, 0.30)]
    # the lower segment cannot hold exactly 40 t, so 40 t is always bought at 10% off
    assert segments[0].upper == 40 * (1 - TIER_GAP) < 40
    assert segments[1].upper == 120 * (1 - TIER_GAP) < 120
    assert segments[2].upper == 200
    # the checker's rule (Offer.discount_for) agrees at every segment end
    tiered = offer([(40, 0.10), (80, 0.05), (120, 0.30)])
    for segment in segments:
        assert tiered.discount_for(segment.lower) == segment.discount
        assert tiered.discount_for(segment.upper) == segment.discount


def test_tiers_beyond_the_upper_bound_are_left_out():
    segments = price_segments(offer([(40, 0.10), (300, 0.20)]), 100)
    assert [(s.lower, s.discount) for s in segments] == [(0, 0), (40, 0.10)]

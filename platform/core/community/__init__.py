"""Community building (地域づくり): places, activities and their indicators."""

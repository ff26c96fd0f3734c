"""What lives inside the shop's own pages: embed.js and its widget API, publishable keys and
signed shopper identity, discount codes pushed to the shop's platform."""

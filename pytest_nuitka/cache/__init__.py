"""The build cache: products published atomically under a key, checked on every hit against
what their build read (the footprint), and the evidence a failed check keeps beside them."""

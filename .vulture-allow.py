# Names vulture reports as unused that are used in ways it cannot see (`make lint`).
# Each line names where it is used. Dead code is deleted, not listed here.

minimal  # registry/api.py: an HSDS query parameter the API accepts (its answer is the same)
effective  # town/services.py do_move: the signature every town-setting move shares

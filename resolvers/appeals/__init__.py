"""Appeals: customers write to the supplier, operators answer from a shared inbox."""

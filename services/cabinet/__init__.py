"""What the cabinet («Личный кабинет») reads: month ranges of its period filter and masking for analysts."""

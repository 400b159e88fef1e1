"""The cabinet («Личный кабинет»): account details, charges, statements, payments and readings history."""

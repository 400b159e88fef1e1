"""E-receipts: a statement's payment document by email the moment it is issued, with a pay link that pays it."""

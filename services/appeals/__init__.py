"""Appeals (обращения): a chat between a customer and operators about an account, a contract or a tech connection."""

"""Kabar's front ends: the ``kabar`` command line, the REPL and the Telegram bot."""

"""Mail to members: composition (`compose`, pure), the SMTP sender (`smtp`, an adapter)
and the embedded SMTP sink that keeps messages under the data folder (`sink`)."""

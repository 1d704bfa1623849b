"""The workplace: the secretariat's, staff's and administrators' pages under /werkplek, in the
same web app as the invitee pages, behind sign-in with a role checked on every route."""

"""What every Flywheel app stands on and no domain owns: errors and the error shape, the admin
toolkit, singleton settings, e-mail, the memo, bulk SQL, images, account panels, currencies,
the task preset, links and the signed-in shopper. It imports no app."""

// Progressive enhancement only: every page works without this file.
import { initAll } from './govuk-frontend.min.js'
import { initExitThisPage } from './exit-this-page.js'

initAll()
document.querySelectorAll('[data-module="sdp-exit-this-page"]').forEach(initExitThisPage)

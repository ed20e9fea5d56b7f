// "Exit this page", our way: GOV.UK's component sets location.href, which leaves the page
// in the back history. We use location.replace, so Back does not return here, and go
// through /<lang>/exit so the server deletes the draft first. Without JavaScript the
// button is a plain link to the same /exit address.
const PRESSES = 3
const WINDOW_MS = 5000

export function initExitThisPage (root) {
  const button = root.querySelector('.govuk-exit-this-page__button')
  if (!button) return
  const status = document.createElement('span')
  status.className = 'govuk-visually-hidden'
  status.setAttribute('role', 'status')
  status.setAttribute('aria-live', 'polite')
  root.appendChild(status)

  const leave = (event) => {
    if (event) event.preventDefault()
    status.textContent = root.dataset.i18nActivated || ''
    document.body.classList.add('sdp-exiting')  // hide the page at once
    window.location.replace(button.href)
  }
  button.addEventListener('click', leave)

  let presses = 0
  let timer = null
  document.addEventListener('keyup', (event) => {
    if (event.key !== 'Shift') { presses = 0; return }
    presses += 1
    clearTimeout(timer)
    if (presses >= PRESSES) { leave(); return }
    status.textContent = presses === 1 ? root.dataset.i18nPressTwoMoreTimes : root.dataset.i18nPressOneMoreTime
    timer = setTimeout(() => {
      presses = 0
      status.textContent = root.dataset.i18nTimedOut || ''
    }, WINDOW_MS)
  })
}

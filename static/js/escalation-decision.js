// Restate the escalation decision as the agent ticks criteria; the server decides again on submit.
document.addEventListener("DOMContentLoaded", () => {
  const decision = document.getElementById("decision");
  if (!decision || decision.dataset.kind === "severity") return;
  const boxes = [...document.querySelectorAll('input[name="criteria"]')];
  const { target, tier, isManager } = decision.dataset;
  const restate = () => {
    const met = boxes.filter((box) => box.checked).map((box) => `“${box.labels[0].textContent.trim()}”`);
    decision.classList.toggle("alert-warning", met.length === 0);
    decision.classList.toggle("alert-info", met.length > 0);
    decision.textContent = met.length
      ? `Escalate to ${target} because ${met.join("; ")}.`
      : `No criterion of ${tier} is met — escalating to ${target} needs a manager override with a reason.` +
        (isManager === "true" ? " As a manager you can override: the rationale is your reason." : "");
  };
  boxes.forEach((box) => box.addEventListener("change", restate));
  restate();
});

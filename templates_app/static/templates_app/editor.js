// The template editor shows, for each step, only the fields its kind needs (all of them while no kind is picked).
(function () {
  const params = JSON.parse(document.getElementById("step-params").textContent);
  document.querySelectorAll("[data-step]").forEach(function (step) {
    const kind = step.querySelector("select[name$='-kind']");
    const show = function () {
      const needed = params[kind.value];
      step.querySelectorAll("[data-param]").forEach(function (field) {
        field.hidden = Boolean(needed) && !needed.includes(field.dataset.param);
      });
    };
    kind.addEventListener("change", show);
    show();
  });
})();

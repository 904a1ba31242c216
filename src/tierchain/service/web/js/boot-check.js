// A module without imports: if the page's scripts never start (a missing build copy of ethers,
// an old browser), say so in words instead of leaving an empty page.
window.setTimeout(() => {
  if (document.body.dataset.booted) return;
  const main = document.getElementById("main");
  if (!main || main.childElementCount > 0) return;
  const p = document.createElement("p");
  p.className = "error";
  p.setAttribute("role", "alert");
  p.textContent = "页面脚本未能加载：请确认服务已用 make compile 构建（web/vendor/ethers.min.js）。" +
    " The page's scripts did not load: build the service's files with make compile (web/vendor/ethers.min.js).";
  main.append(p);
}, 8000);
